"""Chinese names of audited actions, shown in the audit log. Add a line with every new action."""

ACTION_LABELS = {
    "create_user": "新建用户",
    "update_user": "修改用户",
    "activate_user": "启用用户",
    "deactivate_user": "停用用户",
    "reset_password": "重置密码",
    "change_own_password": "修改本人密码",
    "add_area": "新增区划",
    "rename_area": "区划更名",
    "retire_area": "撤销区划",
    "restore_area": "恢复区划",
    "delete_area": "删除区划",
    "save_policy": "保存年度政策参数",
    "enqueue_job": "发起后台任务",
    "retry_job": "重试后台任务",
    "download_job_result": "下载任务结果（含个人信息）",
    "store_attachment": "上传附件",
    "view_attachment": "查看附件",
    "household_registered": "农户建档",
    "household_imported": "农户导入更新",
    "household_edited": "修改户信息",
    "household_member_added": "增加家庭成员",
    "household_member_removed": "减少家庭成员",
    "household_member_edited": "修改成员信息",
    "household_head_changed": "变更户主",
    "household_split": "分户",
    "household_merged": "合户",
    "household_moved": "迁往他村",
    "household_income_recorded": "登记年度收入",
    "reveal_person": "查看完整身份证号/电话",
    "export_registry": "导出农户台账（含完整身份证号）",
    "export_statutory_report": "导出统计报表（含完整身份证号）",
    "save_leaflet_template": "保存明白纸模板",
}


def action_label(action: str) -> str:
    if action.startswith("funds."):
        from zhenxing.funds.models import EVENT_LABELS

        return "衔接资金：" + EVENT_LABELS.get(action.removeprefix("funds."), action)
    return ACTION_LABELS.get(action, action)
