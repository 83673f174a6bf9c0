"""A custom checkov check run on both sides of the paired fixture:
a data object whose input names a user must not name root."""
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class NoRootUser(BaseResourceCheck):
    def __init__(self):
        super().__init__(
            name="Data objects do not run as root",
            id="CKV_TERRACE_1",
            categories=[CheckCategories.GENERAL_SECURITY],
            supported_resources=["terraform_data", "terrace_data"],
        )

    def scan_resource_conf(self, conf):
        value = conf.get("input", [None])
        value = value[0] if isinstance(value, list) and value else value
        if isinstance(value, dict) and value.get("user") in ("root", ["root"]):
            return CheckResult.FAILED
        return CheckResult.PASSED


check = NoRootUser()
