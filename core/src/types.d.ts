// SQL migration files are imported as text so that a compiled binary carries them.
declare module "*.sql" {
  const text: string
  export default text
}

declare module "*.yaml" {
  const text: string
  export default text
}
