resource "terrace_data" "gone" {
  input = "bye"
}
resource "terrace_data" "n" {
  count = 3
  input = count.index
}
resource "terrace_data" "k" {
  for_each = toset(["x", "y"])
  input    = each.key
}
