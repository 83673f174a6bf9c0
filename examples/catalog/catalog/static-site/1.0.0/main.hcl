# static-site 1.0.0: one page.

variable "title" {
  type = string
}

resource "file" "index" {
  path    = "out/site/index.html"
  content = "<h1>${var.title}</h1>\n"
}

output "index" {
  value = file.index.path
}
