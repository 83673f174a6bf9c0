# static-site 1.1.0: the page gets a footer, and an about page is added.

variable "title" {
  type = string
}

variable "footer" {
  type    = string
  default = "Made with terrace"
}

resource "file" "index" {
  path    = "out/site/index.html"
  content = "<h1>${var.title}</h1>\n<footer>${var.footer}</footer>\n"
}

resource "file" "about" {
  path    = "out/site/about.html"
  content = "<h1>About ${var.title}</h1>\n"
}

output "index" {
  value = file.index.path
}
