"""`zhenxing worker`: run queued background jobs (production runs one or more of these processes)."""

import threading

from django.core.management.base import BaseCommand

from zhenxing.jobs.worker import Worker, default_name, install_signal_handlers


class Command(BaseCommand):
    help = "运行后台任务执行进程：按排队顺序逐个执行任务（Ctrl+C 或 SIGTERM 在当前任务完成后退出）"

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="只执行一个排队中的任务（没有则直接退出）")
        parser.add_argument(
            "--name", default="", help="执行进程名称，显示在任务详情中（默认：主机名:进程号）"
        )
        parser.add_argument("--poll", type=float, default=1.0, help="队列为空时每隔几秒检查一次（默认 1）")

    def handle(self, *args, once: bool, name: str, poll: float, **options):
        worker = Worker(name or default_name(), poll_interval=poll, report=self.stdout.write)
        if once:
            if not worker.run_once():
                self.stdout.write("没有排队中的任务")
            return
        stop = threading.Event()
        install_signal_handlers(worker, stop)
        worker.run_forever(stop)
