"""Screenshot of the "For you" tab (docs/for-you.png) from an analysed library database.

Usage: xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python scripts/screenshot_for_you.py DB [OUT]
(DB: a scanned and analysed library, e.g. the one scripts/screenshot.sh keeps in
~/.cache/encore/screenshot/; the app runs on a throwaway copy of it.)
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    db, out = Path(sys.argv[1]), Path(sys.argv[2] if len(sys.argv) > 2 else "docs/for-you.png")
    from PySide6.QtCore import QTimer

    from player.store import Store
    from ui.app import create_app
    from ui.main_window import MainWindow
    from ui.settings import UiSettings

    run_db = Path(tempfile.mkdtemp(prefix="encore-shot-")) / "encore.db"
    with Store.open(db) as cached:
        cached.checkpoint()
    shutil.copyfile(db, run_db)
    with Store.open(run_db) as store:
        settings = UiSettings.load(store)
        settings.first_run_done, settings.scan_on_start, settings.analysis_enabled = True, False, False
        settings.geometry = settings.window_state = ""
        settings.splitters = {}
        settings.save(store)
    app = create_app(["encore"])
    store = Store.open(run_db)
    window = MainWindow(store)
    window.resize(1520, 900)
    window.show()
    QTimer.singleShot(0, window.start)
    deadline = time.monotonic() + 120
    state = {"step": 0}

    def tick() -> None:
        if time.monotonic() > deadline:
            app.exit(1)
            return
        if state["step"] == 0 and window.controller is not None:
            window.tabs.setCurrentWidget(window.for_you)
            state["step"] = 1
        elif state["step"] == 1 and window.for_you.result is not None:
            state["step"] = 2

            def grab() -> None:
                app.processEvents()
                window.grab().save(str(out))
                print(f"wrote {out}", flush=True)
                app.exit(0)

            QTimer.singleShot(700, grab)
            return
        QTimer.singleShot(200, tick)

    QTimer.singleShot(200, tick)
    code = app.exec()
    window.shutdown()
    store.close()
    shutil.rmtree(run_db.parent, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
