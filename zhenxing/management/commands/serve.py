"""`zhenxing serve`: the web server (waitress), with a job worker thread in the same process.

This is how `make demo` and small installs run with nothing else to start; production runs
`zhenxing serve --no-worker` behind a reverse proxy and one or more `zhenxing worker` processes.
"""

import signal
import threading

from django.core.management.base import BaseCommand

# On shutdown the job in hand gets this long to finish, then as long again to stop at its next progress
# call; after that it is marked FAILED (retryable) and the process exits anyway.
WORKER_SHUTDOWN_SECONDS = 10


class Command(BaseCommand):
    help = "启动网页服务；默认同时在本进程内运行后台任务执行线程（--no-worker 关闭）"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1，仅本机可访问）")
        parser.add_argument("--port", type=int, default=8000, help="端口（默认 8000）")
        parser.add_argument("--threads", type=int, default=8, help="处理请求的线程数（默认 8）")
        parser.add_argument(
            "--no-worker", action="store_true", help="不在本进程内执行后台任务（另行运行 zhenxing worker）"
        )

    def handle(self, *args, host: str, port: int, threads: int, no_worker: bool, **options):
        from waitress import serve

        from zhenxing.jobs.worker import Worker, default_name
        from zhenxing.wsgi import application

        stop = threading.Event()
        worker, thread = None, None
        if not no_worker:
            worker = Worker(f"serve@{default_name()}", report=self.stdout.write)
            thread = threading.Thread(
                target=worker.run_forever, args=(stop,), name="zhenxing-worker", daemon=True
            )
            thread.start()
        # SIGTERM (systemd, docker stop) takes the same way out as Ctrl+C.
        previous = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
        self.stdout.write(f"网页服务已启动：http://{host}:{port}/ （按 Ctrl+C 停止）")
        try:
            serve(application, host=host, port=port, threads=threads, ident="zhenxing")
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            if worker is not None:
                self.stop_worker(worker, thread, stop)
        self.stdout.write("网页服务已停止")

    def stop_worker(self, worker, thread: threading.Thread, stop: threading.Event) -> None:
        stop.set()
        thread.join(WORKER_SHUTDOWN_SECONDS)
        if thread.is_alive():
            worker.interrupt()
            thread.join(WORKER_SHUTDOWN_SECONDS)
        if thread.is_alive() and worker.abandon_current_job():
            self.stdout.write("当前后台任务未能及时停止，已标记为失败（可在任务页面重试）")


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt
