package io.wostream.subscriber;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.Test;

/**
 * The words for a failed handshake, on the stack's real certificates: the router's own certificate checked for
 * the names it was made for and for one it was not (the stack's router answers only on 127.0.0.1, which its
 * certificate names, so a name mismatch cannot be provoked end to end here), and against another CA; and a
 * router certificate given where the CA belongs is refused before anything is dialled.
 */
class TlsDiagnosisTest {
  @Test
  void theRoutersCertificateIsCheckedForTheHostDialledAndTheCaGiven() throws Exception {
    KitStack.assumeRunning();
    X509Certificate[] chain = {routerCertificate()};
    PemTrust ours = PemTrust.fromPem(Path.of(KitStack.env("WOSTREAM_KIT_CA")));
    assertNull(TlsDiagnosis.check(chain, "127.0.0.1", ours));
    assertNull(TlsDiagnosis.check(chain, "localhost", ours));
    String wrongName = TlsDiagnosis.check(chain, "wostream.example.com", ours);
    assertTrue(
        wrongName.startsWith("the router's certificate does not name the host you dial (wostream.example.com;"),
        wrongName);
    String otherCa = TlsDiagnosis.check(chain, "127.0.0.1", PemTrust.fromPem(Path.of(KitStack.env("WOSTREAM_KIT_OTHER_CA"))));
    assertTrue(otherCa.contains("is not signed by the CA you gave"), otherCa);
  }

  @Test
  void aRouterCertificateGivenAsTheCaIsRefusedAtOnce() {
    KitStack.assumeRunning();
    Path routerPem = Path.of(KitStack.env("WOSTREAM_KIT_CA")).resolveSibling("router.pem");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PemTrust.fromPem(routerPem));
    assertTrue(e.getMessage().contains("holds a certificate that is not a CA (CN=glacier2router, O=wostream)"), e.getMessage());
    assertEquals(1, PemTrust.fromPem(Path.of(KitStack.env("WOSTREAM_KIT_CA"))).certificates());
  }

  private static X509Certificate routerCertificate() throws Exception {
    try (InputStream in = Files.newInputStream(Path.of(KitStack.env("WOSTREAM_KIT_CA")).resolveSibling("router.pem"))) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }
}
