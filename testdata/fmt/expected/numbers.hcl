# Where a number literal ends (fuzz findings): terraform fmt keeps these.
locals {
  a  = 4.a-
  bb = 0444.x347-44347-4b.2
  c  = 22.t2222222.22222222 * 2 / 222222222222.l222
  e  = 4e5 + 1e+5
  f  = 00012012347 - 444.x347-.x444
  g  = 1.5.x
}
