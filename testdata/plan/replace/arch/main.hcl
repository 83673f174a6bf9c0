resource "file" "page" {
  path    = "out/new.html"
  content = "hello"
}
resource "terrace_data" "build" {
  input            = "v1"
  triggers_replace = "2"
}
