resource "file" "many" {
  count   = 2
  path    = "out/many-${count.index}.txt"
  content = "many-${count.index}"
}
resource "file" "k" {
  for_each = toset(["a", "b"])
  path     = "out/k-${each.key}.txt"
  content  = "k-${each.key}"
}
