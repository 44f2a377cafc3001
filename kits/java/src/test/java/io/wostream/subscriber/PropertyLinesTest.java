package io.wostream.subscriber;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zeroc.Glacier2.RouterPrx;
import com.zeroc.Ice.Communicator;
import com.zeroc.Ice.InitializationData;
import com.zeroc.Ice.Util;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plain Ice property lines README.md gives Java integrators who do not use the kit (keytool truststore)
 * log in through the real router: the lines are tested, not just written down.
 */
class PropertyLinesTest {
  @Test
  void theReadmesPropertyLinesForPlainIceLogIn(@TempDir Path dir) throws Exception {
    KitStack.assumeRunning();
    Path store = dir.resolve("ca.p12");
    Process keytool =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-importcert", "-noprompt", "-alias", "wostream-ca",
                "-file", KitStack.env("WOSTREAM_KIT_CA"),
                "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", "changeit")
            .redirectErrorStream(true)
            .start();
    assertTrue(keytool.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, keytool.exitValue(), new String(keytool.getInputStream().readAllBytes()));
    String lines =
        String.join(
            "\n",
            "Ice.Plugin.IceSSL=com.zeroc.IceSSL.PluginFactory",
            "Ice.Default.Router=wostream/router:" + String.join(":", KitStack.routers()),
            "Ice.Default.Router.EndpointSelection=Ordered",
            "IceSSL.Truststore=" + store,
            "IceSSL.TruststoreType=PKCS12",
            "IceSSL.TruststorePassword=changeit",
            "IceSSL.CheckCertName=1",
            "Ice.Override.ConnectTimeout=5000",
            "Ice.ACM.Client.Heartbeat=3",
            "");
    Path config = dir.resolve("subscriber.properties");
    Files.writeString(config, lines);
    InitializationData init = new InitializationData();
    init.properties = Util.createProperties();
    init.properties.load(config.toString());
    Communicator communicator = Util.initialize(init);
    try {
      RouterPrx router = RouterPrx.checkedCast(communicator.getDefaultRouter());
      router.createSession("JREFUSE", KitStack.env("WOSTREAM_KIT_SECRET"));
      assertTrue(router.getACMTimeout() > 0);
      router.destroySession();
    } finally {
      communicator.destroy();
    }
  }
}
