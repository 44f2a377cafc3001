package io.wostream.subscriber;

import com.zeroc.Ice.Communicator;
import com.zeroc.Ice.InitializationData;
import com.zeroc.Ice.Properties;
import com.zeroc.Ice.Util;

/**
 * Creates the Ice communicator of one connection attempt, with TLS set up the only way that works in Ice 3.7 for
 * Java without files on disk:
 *
 * <ul>
 *   <li>{@code Ice.Plugin.IceSSL=com.zeroc.IceSSL.PluginFactory}: Java loads IceSSL only when told to (it lives
 *       in its own jar); without it an {@code ssl} endpoint does not even parse.
 *   <li>{@code Ice.InitPlugins=0}, then the truststore stream is handed to the plugin before it initializes.
 *   <li>{@code IceSSL.CheckCertName=1}: the router's certificate must name the host we dial.
 *   <li>{@code Ice.Override.ConnectTimeout}: a router that does not greet us in time is an error now, not after
 *       a minute (what a plain-TCP client dialling a TLS port sees).
 * </ul>
 *
 * One communicator per connection attempt keeps every attempt clean: no cached router information or connection
 * from a router that died survives into the next attempt.
 */
final class Communicators {
  private Communicators() {}

  static Communicator create(SubscriberConfig config, PemTrust trust) {
    InitializationData init = new InitializationData();
    Properties p = Util.createProperties();
    config.iceProperties().forEach(p::setProperty);
    p.setProperty("Ice.Plugin.IceSSL", "com.zeroc.IceSSL.PluginFactory");
    p.setProperty("Ice.InitPlugins", "0");
    p.setProperty("IceSSL.TruststoreType", PemTrust.TYPE);
    p.setProperty("IceSSL.TruststorePassword", PemTrust.PASSWORD);
    p.setProperty("IceSSL.CheckCertName", "1");
    p.setProperty("IceSSL.VerifyPeer", "2");
    p.setProperty("Ice.Override.ConnectTimeout", Long.toString(config.connectTimeout().toMillis()));
    p.setProperty("Ice.RetryIntervals", "-1"); // the kit retries itself, with back-off and clear reasons
    setDefault(p, "Ice.Warn.Connections", "0");
    init.properties = p;
    Communicator communicator = Util.initialize(init);
    try {
      com.zeroc.IceSSL.Plugin ssl =
          (com.zeroc.IceSSL.Plugin) communicator.getPluginManager().getPlugin("IceSSL");
      ssl.setTruststoreStream(trust.stream());
      communicator.getPluginManager().initializePlugins();
      return communicator;
    } catch (RuntimeException e) {
      communicator.destroy();
      throw e;
    }
  }

  private static void setDefault(Properties p, String key, String value) {
    if (p.getProperty(key).isEmpty()) {
      p.setProperty(key, value);
    }
  }
}
