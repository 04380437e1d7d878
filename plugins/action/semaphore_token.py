# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Runs semaphore.api.semaphore_token in the controller's process on a local connection (see plugin_utils/_in_process.py)."""

from __future__ import annotations

from ansible_collections.semaphore.api.plugins.plugin_utils._in_process import SemaphoreModuleAction


class ActionModule(SemaphoreModuleAction):
    MODULE = 'semaphore_token'
