resource "terrace_data" "a" {
  input = "same"
}
