project "t" {}
environment "dev" {}
configuration "main" {
  architecture = "./arch"
}
