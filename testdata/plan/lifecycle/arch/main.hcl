resource "terrace_data" "cert" {
  triggers_replace = "2026"
  lifecycle {
    create_before_destroy = true
  }
}
resource "file" "motd" {
  path    = "out/motd"
  content = "welcome back"
  lifecycle {
    ignore_changes = [content]
  }
}
