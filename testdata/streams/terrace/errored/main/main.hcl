resource "terrace_data" "ok" {
  input = "ok"
}
resource "command" "bad" {
  create = "exit 3"
  delete = "true"
}
