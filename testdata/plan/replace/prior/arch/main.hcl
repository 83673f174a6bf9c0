resource "file" "page" {
  path    = "out/old.html"
  content = "hello"
}
resource "terrace_data" "build" {
  input            = "v1"
  triggers_replace = "1"
}
