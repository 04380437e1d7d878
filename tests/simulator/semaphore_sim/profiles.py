"""Every behaviour difference between the simulated Semaphore versions, in one place.

Each profile is the one before it with ``dataclasses.replace``, so it states only what changed; the
oldest (2.10) states everything. Compare versions with ``Profile.at_least`` (numbers), never by
name: as strings "2.9" > "2.10".
§n: docs/server-behaviour.md; findings x: docs/real-server-findings.md.
"""
from __future__ import annotations

from dataclasses import dataclass, replace


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
    template_environment_ids: bool
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
    # the single GET, null in the list).
    logout_cookie_week_ago: bool
    template_vaults_list: bool
    # §13 keys, repositories, inventories, environments. Creating a key, repository or environment
    # answers 201 with the object from v2.11 (upstream PR 2553; the Terraform provider needs 2.11.2),
    # 2.10 answers 204 with no body.
    create_answers_object: bool
    # §13: an environment secret's ``update`` works from v2.11 (same PR, by inference); 2.10 drops the
    # connection on BoltDB and does nothing on SQL. From about v2.16 an empty ``secret`` renames only
    # and a type change is ignored; 2.11 - 2.14 blank the value.
    env_secret_update: bool
    env_secret_empty_keeps: bool
    # §13, newest keys code: a key PUT checks the body's ``id`` and ``project_id`` (400; 2.10 trusts the
    # body and drops the connection without ``project_id``); key reads show ``ssh: {}`` and
    # ``login_password: {}`` (no ``string``, no ``override_secret``); AccessKey.Validate checks only the
    # name. Not placed in a release (perhaps after 2.18): as every unplaced change here, from 2.16 on.
    key_put_checks_ids: bool
    key_read_dto: bool
    key_validates_secret: bool
    # §13 inventories: the JSON name of the holder (``holder_id``; ``template_id`` in newer code, the
    # column was renamed in v2.11.5, the JSON name is not dated) and whether ``tofu-workspace`` is
    # accepted (by 2.16.51 at the latest, first release unknown).
    inventory_holder_field: str
    inventory_tofu: bool
    # §13: the Empty environment of a new project has ``env: "{}"`` in the newest code (null in 2.10;
    # not dated).
    empty_environment_env: bool
    # §13, newest code (2026): a repository or environment create returns after its 400 "Project ID in
    # body and URL must be the same" (2.10 and the 2.16-era code go on with the body's project id), and
    # an environment secret's delete/update checks that it belongs to the environment (400; before, a
    # project key's id drops the connection and another environment's secret is deleted).
    create_checks_project: bool
    env_secret_owner_check: bool
    # Recorded 2.10.32: a plain stop kills a running process and the run then fails ("Running app
    # failed"), so it ends in ``error``; a forced stop saves ``stopped`` with ``end`` null, and ``end``
    # only once the killed run has wound down.
    stop_kill_ends_in_error: bool
    force_stop_end_later: bool
    # Recorded 2.10.32 with --backend bolt: BoltDB's token lookup ignores ``expired``, so a deleted
    # (expired) API token still authenticates.
    bolt_expired_tokens_valid: bool
    # §14: a new project gets the view "All" (position 0) in the newest code, created next to the
    # Empty environment with ``env: "{}"``; not dated, so from 2.16 like that environment.
    project_all_view: bool
    # §14: the backup has a ``schedules`` list (``{cron_format, name, active, template}``) and a restore
    # creates them; 2.10.32 keeps only each template's first ``cron``. Requested in January 2025 (issue
    # 2671), present in a July 2025 report (issue 3172): placed at 2.16.
    backup_schedules: bool

    @property
    def short_version(self) -> str:
        """The release number without commit and build time."""
        return self.version.split("-", 1)[0]

    @property
    def release(self) -> tuple[int, int]:
        """The simulated minor line as numbers: ``(2, 13)`` for profile ``2.13``."""
        major, minor = self.name.split(".")
        return int(major), int(minor)

    def at_least(self, major: int, minor: int) -> bool:
        """True when this profile simulates ``major.minor`` or a later line."""
        return self.release >= (major, minor)


_INFO_2_10 = ("version", "ansible", "web_host", "use_remote_runner")
_INFO_2_16 = _INFO_2_10 + ("premium_features", "auth_methods", "git_client", "schedule_timezone")
# §4: 2026 replaces premium_features by features and adds teams/roles (v2.17) and more.
_INFO_2_18 = _INFO_2_10 + ("auth_methods", "git_client", "schedule_timezone", "teams", "roles",
                           "features", "subscription_state", "login_with_password", "boltdb_used")

# Recorded against the real 2.10.32 and the oldest line simulated: it states every field.
_2_10 = Profile(
    name="2.10", version="2.10.32-6ab1c3d-1729000000",
    totp=False, login_ldap_metadata=False, cookie_httponly=False, cookie_samesite=False,
    cookie_secure_web_host=False, login_method=False,
    logout_expires_session=False, csrf_origin_check=False,
    info_keys=_INFO_2_10, user_pro=False, user_subscription=False, user_totp_object=False,
    tokens_deleted_by_prefix=False, token_names=False,
    omit_empty_project=False, omit_empty_template=False, omit_empty_task=False,
    template_task_params=False, template_branch_override=False, template_parallel_flag=False,
    template_environment_ids=False, template_permissions=False,
    task_params=False, top_level_flags=True, params_debug_needs_flag=False,
    params_limit_tags_need_flags=False, deprecated_limit_to_params=False,
    unknown_template_status=500, template_name_launch=False,
    tasks_last_paging=False, raw_output=False,
    output_task_field=True, output_id_field=False, output_stage_id=False,
    output_batched=False, output_order_tiebreak=False, env_task_wins=False, env_empty_template_ok=False,
    terraform_auto_approve_needs_template=False,
    status_rejected=False,
    logout_cookie_week_ago=True, template_vaults_list=True,
    create_answers_object=False, env_secret_update=False, env_secret_empty_keeps=False,
    key_put_checks_ids=False, key_read_dto=False, key_validates_secret=True,
    inventory_holder_field="holder_id", inventory_tofu=False, empty_environment_env=False,
    create_checks_project=False, env_secret_owner_check=False,
    stop_kill_ends_in_error=True, force_stop_end_later=True, bolt_expired_tokens_valid=True,
    project_all_view=False, backup_schedules=False,
)

# The client's middle branches (2.11 - 2.14): what §10 lists for v2.11, v2.12 and v2.13. Everything else
# stays as on 2.10, in particular:
# - top-level debug/dry_run/diff and the limit column are honoured (§6.1: v2.8-v2.13), and v2.11+
#   also copies the flags into params (§10 v2.11);
# - token DELETE expires by the full secret, the list shows full secrets (§5: v2.8-v2.13), and on
#   BoltDB an expired token still authenticates (§2.2: matters for v2.8-v2.13);
# - logout only blanks the cookie (§3: the session is expired from v2.14); no raw_output (§6.4: v2.14);
#   template and task fields are all present (§6, §6.5: omit-when-empty from v2.14);
# - the template environment's keys win, and an empty one fails a launch that sends one (findings b:
#   through v2.15); params.auto_approve alone auto-approves a Terraform apply (findings e: v2.11-v2.15);
# - a task's git_branch is honoured (§10 v2.10: Task gains git_branch; the collection relies on it
#   from 2.10.31);
# - what was recorded on 2.10.32 and nothing dates (output written line by line, findings a; ordered
#   by time only, findings i; the stop outcomes, the logout cookie, template ``vaults``, inventory key
#   fields).
_2_13 = replace(
    _2_10, name="2.13", version="2.13.14-1b2c3d4-1741000000",
    totp=True,  # §3, §10 v2.12: TOTP second factor, auth_methods in the login metadata
    cookie_httponly=True,  # §2.1, §10 v2.12
    info_keys=_INFO_2_10 + ("premium_features", "auth_methods"),  # §4: v2.11, v2.12-v2.13
    user_totp_object=True,  # §4: v2.12+
    omit_empty_project=True,  # §6 project object, §10 v2.13
    template_task_params=True,  # §6 template fields: task_params v2.11+, runner_tag v2.13+
    task_params=True,  # §6.1, §10 v2.11: the params object
    params_debug_needs_flag=True,  # §6.1, §10 v2.13: params.debug only with allow_debug
    unknown_template_status=404,  # §6.1: 404 from v2.11
    output_task_field=False,  # §6.4: v2.12-v2.15 lines are {task_id, time, output}
    status_rejected=True,  # §6.6, §7: /tasks/{id}/reject and status rejected from v2.11
    create_answers_object=True, env_secret_update=True,  # §13: v2.11 (upstream PR 2553)
)

_2_16 = replace(
    _2_13, name="2.16", version="2.16.51-0a1b2c3-1747000000",
    logout_expires_session=True,  # §3: v2.14
    info_keys=_INFO_2_16,  # §4: git_client, schedule_timezone from v2.14
    user_pro=True, user_subscription=True,  # §4: has_active_subscription v2.16
    tokens_deleted_by_prefix=True, bolt_expired_tokens_valid=False,  # §5: deleted, not expired, from v2.14
    omit_empty_template=True, omit_empty_task=True,  # §6, §6.5: omit-when-empty from v2.14
    template_branch_override=True, template_parallel_flag=True,  # §6: v2.14; §8: v2.16.1
    template_environment_ids=True,  # §14: links in environment_ids, a read answers environment_id 0 (2.16.51)
    top_level_flags=False, params_limit_tags_need_flags=True, deprecated_limit_to_params=True,  # §6.1: v2.14
    raw_output=True,  # §6.4: v2.14
    output_id_field=True,  # §6.4: v2.16
    output_batched=True, output_order_tiebreak=True,  # §6.4, findings a and i
    env_task_wins=True,  # findings b
    terraform_auto_approve_needs_template=True,  # findings e
    # as §3, §6 and §6.6 describe them, where the 2.10.32 recordings differ
    logout_cookie_week_ago=False, template_vaults_list=False,
    stop_kill_ends_in_error=False, force_stop_end_later=False,
    env_secret_empty_keeps=True,  # §13: after 2.14 (a report on 2.14 still loses the value)
    # §13: not dated; unplaced newer behaviour starts at 2.16 (2.13 keeps 2.10's)
    key_put_checks_ids=True, key_read_dto=True, key_validates_secret=False,
    inventory_holder_field="template_id", empty_environment_env=True, project_all_view=True,
    backup_schedules=True,  # §14: by July 2025
    inventory_tofu=True,  # §13: accepted by 2.16.51
)

_2_18 = replace(
    _2_16, name="2.18", version="2.18.2-5d4e3f2-1778000000",
    login_ldap_metadata=True, login_method=True,  # §3: 2026
    cookie_samesite=True, cookie_secure_web_host=True,  # §2.1: 2026, findings f
    csrf_origin_check=True,  # §2.2: 2026
    info_keys=_INFO_2_18,  # §4
    token_names=True,  # §5.2: 2026
    template_permissions=True,  # §6: v2.17
    template_name_launch=True,  # §6.1: 2026
    tasks_last_paging=True,  # §6.2: 2026
    output_stage_id=True,  # §6.4: v2.17
    env_empty_template_ok=True,  # findings b
    create_checks_project=True, env_secret_owner_check=True,  # §13: newest code only
)

PROFILES: dict[str, Profile] = {profile.name: profile for profile in (_2_10, _2_13, _2_16, _2_18)}


def get_profile(name: str) -> Profile:
    """Look a profile up by its short name (``2.10``, ``2.13``, ``2.16``, ``2.18``)."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}; choose one of {', '.join(sorted(PROFILES))}") from None
