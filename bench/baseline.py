# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The baseline of bench/run.py: the same HTTP requests as a module run, from a minimal `requests` script.

    python bench/baseline.py URL TOKEN launch TEMPLATE_ID [COUNT]   COUNT launches (POST /tasks)
    python bench/baseline.py URL TOKEN output TASK_ID LINES         GET /output, keep the last LINES (-1: all)

Prints one JSON line: {"seconds": ..., "requests": ..., "kept": ...}. Time counts from the start of
the interpreter's work here (its start-up is measured by the caller, which times the whole process).
"""

from __future__ import annotations

import json
import sys
import time

import requests


def main(argv):
    url, token, mode, target = argv[1], argv[2], argv[3], int(argv[4])
    extra = int(argv[5]) if len(argv) > 5 else 1
    begin = time.monotonic()
    session = requests.Session()
    headers = {'Authorization': 'Bearer ' + token, 'Accept': 'application/json'}
    kept = None
    if mode == 'launch':
        for dummy in range(extra):
            response = session.post(url + '/api/project/1/tasks', json={'template_id': target}, headers=headers, timeout=30)
            response.raise_for_status()
        count = extra
    else:
        response = session.get('{0}/api/project/1/tasks/{1}/output'.format(url, target), headers=headers, timeout=60)
        response.raise_for_status()
        lines = [line['output'] for line in response.json()]
        kept = len(lines if extra < 0 else lines[-extra:])
        count = 1
    print(json.dumps({'seconds': time.monotonic() - begin, 'requests': count, 'kept': kept}))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
