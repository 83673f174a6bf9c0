resource "terrace_data" "n" {
  count = 1
  input = count.index
}
resource "terrace_data" "k" {
  for_each = toset(["x"])
  input    = each.key
}
