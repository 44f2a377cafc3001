package io.wostream.subscriber;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.KeyStore;
import java.security.cert.CertPathValidator;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Explains a failed TLS handshake with the router. IceSSL 3.7 for Java reports a router certificate that its
 * truststore cannot verify as {@code IceSSL: server did not supply a certificate} (the same words whatever went
 * wrong, and no cause), which sends integrators looking in the wrong place. After such a failure, and only then,
 * the kit fetches the router's certificate chain in a separate handshake that sends nothing else (no secret,
 * no Ice traffic), and checks it itself: is it signed by the CA given, and does it name the host dialled.
 * IceSSL's own checks still decide; this only finds the words.
 */
final class TlsDiagnosis {
  private static final Pattern HOST = Pattern.compile("-h\\s+(\\S+)");
  private static final Pattern PORT = Pattern.compile("-p\\s+(\\d+)");

  private TlsDiagnosis() {}

  /** Why the routers' certificates fail, one sentence; null if nothing could be found wrong. */
  static String explain(SubscriberConfig config, PemTrust trust) {
    for (String endpoint : config.routers()) {
      Matcher h = HOST.matcher(endpoint);
      Matcher p = PORT.matcher(endpoint);
      if (!endpoint.startsWith("ssl") || !h.find() || !p.find()) {
        continue;
      }
      String host = h.group(1);
      try {
        X509Certificate[] chain = chainOf(host, Integer.parseInt(p.group(1)), config);
        String problem = check(chain, host, trust);
        if (problem != null) {
          return problem;
        }
      } catch (Exception e) {
        // that router cannot be asked (down, not TLS): try the next one
      }
    }
    return null;
  }

  /** What is wrong with {@code chain} for {@code host}, or null. */
  static String check(X509Certificate[] chain, String host, PemTrust trust) throws Exception {
    X509Certificate leaf = chain[0];
    if (!signedByOurCa(chain, trust)) {
      String issuer = leaf.getIssuerX500Principal().getName();
      Set<String> ours = caNames(trust);
      return "the router's certificate (" + leaf.getSubjectX500Principal().getName() + ", issued by " + issuer
          + ") is not signed by the CA you gave (" + String.join("; ", ours) + ")"
          + (ours.contains(issuer) ? ", a CA of the same name with another key (made again?)" : "")
          + ": ask the operator for the CA that signed the router's certificate";
    }
    if (!names(leaf, host)) {
      return "the router's certificate does not name the host you dial (" + host + "; it names "
          + leaf.getSubjectAlternativeNames() + "): dial the host name or address the operator gave";
    }
    return null;
  }

  private static boolean signedByOurCa(X509Certificate[] chain, PemTrust trust) throws Exception {
    KeyStore anchors = KeyStore.getInstance(PemTrust.TYPE);
    anchors.load(trust.stream(), PemTrust.PASSWORD.toCharArray());
    PKIXParameters params = new PKIXParameters(anchors);
    params.setRevocationEnabled(false);
    List<Certificate> path = new ArrayList<>(List.of(chain));
    path.removeIf(c -> c instanceof X509Certificate x && x.getSubjectX500Principal().equals(x.getIssuerX500Principal()));
    try {
      CertPathValidator.getInstance("PKIX")
          .validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
      return true;
    } catch (java.security.cert.CertPathValidatorException e) {
      return false;
    }
  }

  private static Set<String> caNames(PemTrust trust) throws Exception {
    KeyStore ks = KeyStore.getInstance(PemTrust.TYPE);
    ks.load(trust.stream(), PemTrust.PASSWORD.toCharArray());
    Set<String> names = new java.util.TreeSet<>();
    for (Enumeration<String> e = ks.aliases(); e.hasMoreElements(); ) {
      names.add(((X509Certificate) ks.getCertificate(e.nextElement())).getSubjectX500Principal().getName());
    }
    return names;
  }

  /** Whether the certificate's subject alternative names cover {@code host} (IP or DNS, "*." wildcards). */
  static boolean names(X509Certificate cert, String host) throws Exception {
    Collection<List<?>> sans = cert.getSubjectAlternativeNames();
    if (sans == null) {
      return false;
    }
    boolean ip = host.matches("[0-9.]+") || host.contains(":");
    for (List<?> san : sans) {
      int type = (Integer) san.get(0);
      String value = String.valueOf(san.get(1));
      if (ip && type == 7 && InetAddress.getByName(value).equals(InetAddress.getByName(host))) {
        return true;
      }
      if (!ip && type == 2 && dnsMatches(value.toLowerCase(Locale.ROOT), host.toLowerCase(Locale.ROOT))) {
        return true;
      }
    }
    return false;
  }

  private static boolean dnsMatches(String pattern, String host) {
    if (pattern.startsWith("*.")) {
      int dot = host.indexOf('.');
      return dot > 0 && host.substring(dot).equals(pattern.substring(1));
    }
    return pattern.equals(host);
  }

  /** The router's certificate chain, from a handshake that trusts anything and sends nothing after it. */
  private static X509Certificate[] chainOf(String host, int port, SubscriberConfig config) throws Exception {
    X509Certificate[][] seen = new X509Certificate[1][];
    TrustManager capture =
        new X509TrustManager() {
          @Override
          public void checkClientTrusted(X509Certificate[] chain, String authType) {}

          @Override
          public void checkServerTrusted(X509Certificate[] chain, String authType) {
            seen[0] = chain;
          }

          @Override
          public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
          }
        };
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, new TrustManager[] {capture}, null);
    int timeout = (int) config.connectTimeout().toMillis();
    try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket()) {
      socket.connect(new InetSocketAddress(host, port), timeout);
      socket.setSoTimeout(timeout);
      socket.startHandshake();
    }
    if (seen[0] == null || seen[0].length == 0) {
      throw new IllegalStateException("no certificate");
    }
    return seen[0];
  }
}
