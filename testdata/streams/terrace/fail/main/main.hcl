variable "release" {
  type = string
}
resource "terrace_data" "ok" {
  input = "ok"
}
resource "terrace_data" "bad" {
  input = "bad"
  lifecycle {
    postcondition {
      condition     = self.id == "never"
      error_message = "The id is never \"never\"."
    }
  }
}
output "label" {
  value = "main-${var.release}"
}
