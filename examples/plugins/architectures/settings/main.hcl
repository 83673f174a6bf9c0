variable "env" { type = string }
variable "log_level" {
  type    = string
  default = "info"
}

resource "kv_entry" "log_level" {
  key   = "${var.env}-log-level"
  value = var.log_level
}

resource "kv_entry" "features" {
  key   = "${var.env}-features"
  value = { search = true, beta = [kv_entry.log_level.id] }
}

output "features_version" {
  value = kv_entry.features.version
}
