resource "terrace_data" "a" {
  count    = 2 # ERROR: count and for_each cannot both be set
  for_each = { a = 1 }
}
resource "terrace_data" "b" {
  depends_on = "terrace_data.a" # ERROR: depends_on must be a list
}
resource "terrace_data" "b2" {
  depends_on = [terrace_data.b.output] # ERROR: depends_on must name a whole object, not an attribute of one
}
resource "terrace_data" "c" {
  id = "fixed" # ERROR: is set by terrace and cannot be configured
  lifecycle {
    ignore_changes  = input # ERROR: ignore_changes must be `all` or a list
    prevent_destroy = "yes" # ERROR: must be true or false
  }
}
resource "file" "d" {
  path = "out/d"
  lifecycle {
    ignore_changes = [contnet] # ERROR: ignore_changes names "contnet", which is not an argument of file
  }
}
