"""``[report] notify``: a command run after each publish, fed the run's summary as JSON.

The command is the user's own (a ``curl`` to a Slack or Teams webhook, ``sendmail``, a
ticket API): it runs through the shell in the published folder with the JSON document
``{"report": ..., "summary": ..., "changes": [...]}`` on its standard input, where
``changes`` holds the credible changes only. A command that fails, hangs past its timeout
or cannot start is logged and never undoes the publish.
"""

from __future__ import annotations

import json
import logging
import subprocess
from pathlib import Path
from typing import Any

log = logging.getLogger("cx.report")
TIMEOUT = 60


def notify(
    command: str, summary: dict[str, Any], out: Path, *, timeout: int = TIMEOUT
) -> str | None:
    """Run ``command`` with the summary on stdin; None when it succeeded, else why not.

    Examples
    --------
    >>> from pathlib import Path
    >>> notify("cat > /dev/null", {"changes": []}, Path("."))
    >>> notify("exit 3", {"changes": []}, Path("."))
    'notify command exited 3'
    """
    document = {
        "report": str(out / "index.html"),
        "summary": summary,
        "changes": [c for c in summary.get("changes", []) if c.get("credible")],
    }
    try:
        done = subprocess.run(  # noqa: S602 - the user's own command from their cx.toml
            command,
            shell=True,
            input=json.dumps(document, ensure_ascii=False).encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            cwd=out if out.is_dir() else None,
            check=False,
        )
    except subprocess.TimeoutExpired:
        problem = f"notify command did not finish within {timeout} s"
    except OSError as err:
        problem = f"notify command could not start ({err.strerror or err})"
    else:
        if done.returncode == 0:
            return None
        problem = f"notify command exited {done.returncode}"
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        if detail:
            log.warning("%s: %s", problem, detail[-1][:300])
            return problem
    log.warning("%s", problem)
    return problem
