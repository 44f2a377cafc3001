package io.wostream.subscriber;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;

/**
 * The CA file turned into what IceSSL for Java reads: a truststore. IceSSL for Java ignores {@code IceSSL.CAs}
 * (a C++/Python/.NET property) without a word and then fails every handshake, and wants a JKS or PKCS#12 store;
 * rather than make integrators run keytool, the kit builds a PKCS#12 store in memory from the PEM file and hands
 * it to the plugin ({@code IceSSL.Plugin.setTruststoreStream}). The store holds public certificates only, so its
 * password protects nothing and is a constant.
 */
final class PemTrust {
  static final String TYPE = "PKCS12";
  static final String PASSWORD = "wostream-ca"; // not a secret: the store holds public CA certificates only

  private final byte[] store;
  private final int certificates;

  private PemTrust(byte[] store, int certificates) {
    this.store = store;
    this.certificates = certificates;
  }

  /** Reads every certificate of a PEM file; refuses a file with none, or with one that is not a CA. */
  static PemTrust fromPem(Path pem) {
    try (InputStream in = Files.newInputStream(pem)) {
      Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
      if (certs.isEmpty()) {
        throw new IllegalArgumentException(pem + " holds no PEM certificate");
      }
      KeyStore ks = KeyStore.getInstance(TYPE);
      ks.load(null, null);
      int n = 0;
      for (Certificate c : certs) {
        if (c instanceof X509Certificate x && x.getBasicConstraints() < 0) {
          throw new IllegalArgumentException(
              pem + " holds a certificate that is not a CA (" + x.getSubjectX500Principal()
                  + "): give the CA that signed the router's certificate, not the router's certificate");
        }
        ks.setCertificateEntry("wostream-ca-" + n++, c);
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ks.store(out, PASSWORD.toCharArray());
      return new PemTrust(out.toByteArray(), n);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot read the CA file " + pem + ": " + e.getMessage(), e);
    }
  }

  /** A fresh stream of the store: IceSSL reads and closes it when its communicator starts. */
  InputStream stream() {
    return new ByteArrayInputStream(store);
  }

  int certificates() {
    return certificates;
  }
}
