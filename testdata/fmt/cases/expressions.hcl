resource "file" "x" {
  path = "out/${var.env}/x.txt"
  content = jsonencode({
    list = [for i,v in var.items: v*2 if i>0]
    map = {for k,v in var.m: k=>v...}
    splat = var.things[*].id
    legacy = var.things.*.id
    cond = var.a==1 ? "one":"other"
    math = (1+2)*-3 / 4 % 5
    neg = -var.n
    logic = !var.a && var.b || false
    idx = var.list[0][1]
    call = merge( {a=1}, {b=2} )
    num = 1.5e3
  })
  count = var.enabled ? 1 : 0
}
