package wtnet

import (
	"crypto/tls"
	"crypto/x509"
)

func x509Leaf(c *tls.Certificate) (*x509.Certificate, error) {
	return x509.ParseCertificate(c.Certificate[0])
}
