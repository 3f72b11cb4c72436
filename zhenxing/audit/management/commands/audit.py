"""`zhenxing audit verify`: walk the hash chain and report the first broken row."""

import sys

from django.core.management.base import BaseCommand

from zhenxing.audit.actions import verify


class Command(BaseCommand):
    help = "审计日志：verify 校验哈希链是否完整（完整时退出码为 0，断开时为 1）"

    def add_arguments(self, parser):
        subcommands = parser.add_subparsers(dest="subcommand", required=True, metavar="子命令")
        subcommands.add_parser("verify", help="按顺序校验全部审计记录的哈希链，报告第一条断开的记录")

    def handle(self, *args, subcommand: str, **options):
        if subcommand == "verify":
            self.verify()

    def verify(self) -> None:
        checked, broken = verify()
        if broken is None:
            self.stdout.write(f"审计链完整：共校验 {checked} 条记录")
            return
        self.stderr.write(f"审计链在第 #{broken.entry_id} 条记录处断开：{broken.reason}")
        self.stderr.write(f"（此前 {checked} 条记录完整。请保全数据库现状，并报告区级管理员和纪检督查人员）")
        sys.exit(1)
