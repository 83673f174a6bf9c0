module "main" {
  source = "./main"
}
