resource "terrace_data" "a" {
  input = {
    a = 1
    b = # ERROR: syntax error
  }
}
