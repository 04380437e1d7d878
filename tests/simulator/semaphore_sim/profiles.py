"""Every behaviour difference between the simulated Semaphore versions, in one place.

Section numbers (§n) refer to API-BEHAVIOUR.md, the behaviour reference the simulator follows.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """What one simulated server version does differently (§10)."""

    name: str
    version: str
    # §3: GET /api/auth/login metadata shape; TOTP second factor exists from v2.12.
    totp: bool
    login_ldap_metadata: bool
    # §3: HttpOnly cookie from v2.12, SameSite=Lax in 2026 code.
    cookie_httponly: bool
    cookie_samesite: bool
    # §2.1 / findings f: 2026 code marks the cookie Secure when web_host (--web-host) is https://
    # (the request's own scheme is not considered).
    cookie_secure_web_host: bool
    # §3: 2026 login body has method ("" | "password" | "ldap") and provider; older versions
    # ignore both like any unknown field.
    login_method: bool
    # §3: logout expires the server-side session from v2.14.
    logout_expires_session: bool
    # §2.2: 2026 code blocks cross-origin cookie writes.
    csrf_origin_check: bool
    # §4: /api/info keys and /api/user fields.
    info_keys: tuple[str, ...]
    user_pro: bool
    user_subscription: bool
    user_totp_object: bool
    # §5: token list/delete semantics.
    tokens_deleted_by_prefix: bool
    token_names: bool
    # §6: object shapes.
    omit_empty_project: bool
    omit_empty_template: bool
    omit_empty_task: bool
    template_task_params: bool
    template_branch_override: bool
    template_parallel_flag: bool
    template_permissions: bool
    # §6.1: task creation.
    task_params: bool
    top_level_flags: bool
    params_debug_needs_flag: bool
    params_limit_tags_need_flags: bool
    deprecated_limit_to_params: bool
    unknown_template_status: int
    template_name_launch: bool
    # §6.2 / §6.4: listing and output.
    tasks_last_paging: bool
    raw_output: bool
    output_task_field: bool
    output_id_field: bool
    output_stage_id: bool
    # findings a: v2.10 writes output lines one by one (with a lag, --output-delay); v2.16+ in
    # batches of 500 lines / 500 ms.
    output_batched: bool
    # findings i: v2.10 orders /output by time only (no id tie-break), which matters with
    # --backend mysql (whole-second times).
    output_order_tiebreak: bool
    # findings b: environment merge on launch. Through v2.15 the template's keys win and an empty
    # template environment with a non-empty task environment fails; v2.16 the task's keys win (empty
    # template environment still fails); 2026 code accepts an empty template environment.
    env_task_wins: bool
    env_empty_template_ok: bool
    # findings e: 2.16+ auto-approve a Terraform apply only by template task_params (auto_approve,
    # or allow_auto_approve plus the task's params.auto_approve); before, params.auto_approve alone.
    terraform_auto_approve_needs_template: bool
    # §7: statuses.
    status_rejected: bool
    # Recorded against the real 2.10.32 (tests/simulator/recordings): logout blanks the cookie as
    # ``semaphore=; Path=/; Expires=<a week ago>``; templates have no ``vault_key_id`` (``vaults`` is [] in
    # the single GET, null in the list);
    # inventories carry ssh_key_id, become_key_id, holder_id, repository_id.
    logout_cookie_week_ago: bool
    template_vaults_list: bool
    inventory_key_fields: bool
    # Recorded 2.10.32: a plain stop kills a running process and the run then fails ("Running app
    # failed"), so it ends in ``error``; a forced stop saves ``stopped`` with ``end`` null, and ``end``
    # only once the killed run has wound down.
    stop_kill_ends_in_error: bool
    force_stop_end_later: bool
    # Recorded 2.10.32 with --backend bolt: BoltDB's token lookup ignores ``expired``, so a deleted
    # (expired) API token still authenticates.
    bolt_expired_tokens_valid: bool

    @property
    def short_version(self) -> str:
        """The release number without commit and build time."""
        return self.version.split("-", 1)[0]


_INFO_2_10 = ("version", "ansible", "web_host", "use_remote_runner")
_INFO_2_16 = _INFO_2_10 + ("premium_features", "auth_methods", "git_client", "schedule_timezone")
# §4: 2026 replaces premium_features by features and adds teams/roles (v2.17) and more.
_INFO_2_18 = _INFO_2_10 + ("auth_methods", "git_client", "schedule_timezone", "teams", "roles",
                           "features", "subscription_state", "login_with_password", "boltdb_used")

PROFILES: dict[str, Profile] = {
    "2.10": Profile(
        name="2.10", version="2.10.32-6ab1c3d-1729000000",
        totp=False, login_ldap_metadata=False, cookie_httponly=False, cookie_samesite=False,
        cookie_secure_web_host=False, login_method=False,
        logout_expires_session=False, csrf_origin_check=False,
        info_keys=_INFO_2_10, user_pro=False, user_subscription=False, user_totp_object=False,
        tokens_deleted_by_prefix=False, token_names=False,
        omit_empty_project=False, omit_empty_template=False, omit_empty_task=False,
        template_task_params=False, template_branch_override=False, template_parallel_flag=False,
        template_permissions=False,
        task_params=False, top_level_flags=True, params_debug_needs_flag=False,
        params_limit_tags_need_flags=False, deprecated_limit_to_params=False,
        unknown_template_status=500, template_name_launch=False,
        tasks_last_paging=False, raw_output=False,
        output_task_field=True, output_id_field=False, output_stage_id=False,
        output_batched=False, output_order_tiebreak=False, env_task_wins=False, env_empty_template_ok=False,
        terraform_auto_approve_needs_template=False,
        status_rejected=False,
        logout_cookie_week_ago=True, template_vaults_list=True, inventory_key_fields=True,
        stop_kill_ends_in_error=True, force_stop_end_later=True, bolt_expired_tokens_valid=True,
    ),
    "2.16": Profile(
        name="2.16", version="2.16.51-0a1b2c3-1747000000",
        totp=True, login_ldap_metadata=False, cookie_httponly=True, cookie_samesite=False,
        cookie_secure_web_host=False, login_method=False,
        logout_expires_session=True, csrf_origin_check=False,
        info_keys=_INFO_2_16, user_pro=True, user_subscription=True, user_totp_object=True,
        tokens_deleted_by_prefix=True, token_names=False,
        omit_empty_project=True, omit_empty_template=True, omit_empty_task=True,
        template_task_params=True, template_branch_override=True, template_parallel_flag=True,
        template_permissions=False,
        task_params=True, top_level_flags=False, params_debug_needs_flag=True,
        params_limit_tags_need_flags=True, deprecated_limit_to_params=True,
        unknown_template_status=404, template_name_launch=False,
        tasks_last_paging=False, raw_output=True,
        output_task_field=False, output_id_field=True, output_stage_id=False,
        output_batched=True, output_order_tiebreak=True, env_task_wins=True, env_empty_template_ok=False,
        terraform_auto_approve_needs_template=True,
        status_rejected=True,
        logout_cookie_week_ago=False, template_vaults_list=False, inventory_key_fields=False,
        stop_kill_ends_in_error=False, force_stop_end_later=False, bolt_expired_tokens_valid=False,
    ),
    "2.18": Profile(
        name="2.18", version="2.18.2-5d4e3f2-1778000000",
        totp=True, login_ldap_metadata=True, cookie_httponly=True, cookie_samesite=True,
        cookie_secure_web_host=True, login_method=True,
        logout_expires_session=True, csrf_origin_check=True,
        info_keys=_INFO_2_18, user_pro=True, user_subscription=True, user_totp_object=True,
        tokens_deleted_by_prefix=True, token_names=True,
        omit_empty_project=True, omit_empty_template=True, omit_empty_task=True,
        template_task_params=True, template_branch_override=True, template_parallel_flag=True,
        template_permissions=True,
        task_params=True, top_level_flags=False, params_debug_needs_flag=True,
        params_limit_tags_need_flags=True, deprecated_limit_to_params=True,
        unknown_template_status=404, template_name_launch=True,
        tasks_last_paging=True, raw_output=True,
        output_task_field=False, output_id_field=True, output_stage_id=True,
        output_batched=True, output_order_tiebreak=True, env_task_wins=True, env_empty_template_ok=True,
        terraform_auto_approve_needs_template=True,
        status_rejected=True,
        logout_cookie_week_ago=False, template_vaults_list=False, inventory_key_fields=False,
        stop_kill_ends_in_error=False, force_stop_end_later=False, bolt_expired_tokens_valid=False,
    ),
}


def get_profile(name: str) -> Profile:
    """Look a profile up by its short name (``2.10``, ``2.16``, ``2.18``)."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}; choose one of {', '.join(sorted(PROFILES))}") from None
