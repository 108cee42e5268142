// Test PKI for a local kube-apiserver, made with the openssl CLI: a CA, the server's certificate
// (127.0.0.1), and the service-account signing key pair.
import { writeFileSync } from "node:fs"
import { join } from "node:path"

export interface ClusterCerts {
  caCert: string
  caKey: string
  serverCert: string
  serverKey: string
  saKey: string
  saPub: string
}

function openssl(dir: string, args: string[]): void {
  const run = Bun.spawnSync(["openssl", ...args], { cwd: dir, stderr: "pipe", stdout: "ignore" })
  if (run.exitCode !== 0) throw new Error(`openssl ${args[0]} failed: ${run.stderr.toString()}`)
}

export function makeCerts(dir: string): ClusterCerts {
  const p = (name: string) => join(dir, name)
  // EC keys: generating them costs next to nothing, unlike RSA on a busy machine.
  openssl(dir, ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key"])
  openssl(dir, ["req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=streamspace-test-ca", "-days", "2", "-out", "ca.crt"])
  openssl(dir, ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "server.key"])
  writeFileSync(p("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.96.0.1\nextendedKeyUsage=serverAuth\n")
  openssl(dir, ["req", "-new", "-key", "server.key", "-subj", "/CN=kube-apiserver", "-out", "server.csr"])
  openssl(dir, [
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    "server.ext",
    "-out",
    "server.crt",
  ])
  openssl(dir, ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "sa-ec.key"])
  // kube-apiserver wants the signing key in PKCS#8 or SEC1 and the public key as PEM.
  openssl(dir, ["pkcs8", "-topk8", "-nocrypt", "-in", "sa-ec.key", "-out", "sa.key"])
  openssl(dir, ["ec", "-in", "sa.key", "-pubout", "-out", "sa.pub"])
  return {
    caCert: p("ca.crt"),
    caKey: p("ca.key"),
    serverCert: p("server.crt"),
    serverKey: p("server.key"),
    saKey: p("sa.key"),
    saPub: p("sa.pub"),
  }
}
