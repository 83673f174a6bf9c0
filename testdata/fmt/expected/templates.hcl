locals {
  a = var.x
  b = "pre-${var.x}-${upper(var.y)}"
  c = "%{if var.on}yes%{else}no%{endif}"
  d = "escaped $${not} %%{not}"
  e = "${var.a}${var.b}"
  f = { a = 1 }.a
  g = <<EOT
plain ${var.x}   kept
EOT
  h = <<-EOT
    a ${var.x} b $${ not } %{for v in var.l}${v}%{endfor}
      indented
    EOT
  i = [<<EOT
x
EOT
  , "y"]
}
