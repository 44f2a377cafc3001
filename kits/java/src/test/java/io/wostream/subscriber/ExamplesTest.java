package io.wostream.subscriber;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The spec's examples, as the README's walkthrough shows them to HRZDWYWHXT, arrive at the Java kit exactly as
 * the Python reference subscriber received them: same envelopes (masked fields gone, the subscriber's own e…Ids
 * added, the producer's key order), same event ids, same order per ticket.
 */
class ExamplesTest {
  @Test
  void theSpecExamplesArriveExactlyAsTheReferenceSubscriberReceivedThem() throws Exception {
    KitStack.assumeRunning();
    Map<String, JsonNode> expected = new LinkedHashMap<>(); // eventId -> envelope, in the reference's order
    for (String line : Files.readAllLines(Path.of(KitStack.env("WOSTREAM_KIT_EXPECTED_EXAMPLES")), StandardCharsets.UTF_8)) {
      JsonNode x = KitStack.read(line);
      expected.put(x.get("eventId").asText(), x.get("envelope"));
    }
    assertEquals(5, expected.size(), "the reference received the walkthrough's five examples");

    Received received = new Received();
    try (WostreamSubscriber sub = WostreamSubscriber.start(KitStack.config("JEXAMPLES").build(), received)) {
      List<Event> got = received.await(5, Duration.ofSeconds(30));
      received.assertNoMoreThan(5, Duration.ofMillis(500));
      assertEquals(expected.keySet(), Map.copyOf(byId(got)).keySet(), "the same event ids");
      for (Event e : got) {
        JsonNode want = expected.get(e.eventId());
        JsonNode envelope = KitStack.read(e.message());
        assertEquals(want, envelope, "envelope of " + e.eventId());
        assertEquals(KitStack.JSON.writeValueAsString(want), KitStack.JSON.writeValueAsString(envelope), "key order");
        assertEquals(want.get("data").asText(), e.data());
        assertEquals(want.get("changeId").asText(), e.changeId());
        assertEquals("fwwt", e.dataArea());
        assertEquals("", e.baseCode());
        assertEquals(1, e.attempt());
        assertFalse(e.isResync());
        JsonNode body = KitStack.read(e.data());
        assertFalse(body.has("contactTel"), "masked for this subscriber");
        body.path("currentUser").forEach(u -> assertFalse(u.has("userTel"), "masked in every currentUser"));
      }
      for (String ticket : List.of("4503599741262301", "4503599741262320")) {
        assertEquals(ofTicket(List.copyOf(expected.keySet()), expected, ticket), ofTicket(KitStack.ids(got), expected, ticket), "order of ticket " + ticket);
      }
      JsonNode created = KitStack.read(got.stream().filter(e -> e.changeId().equals("1")).findFirst().orElseThrow().data());
      assertEquals("HW-HAIWEN-01", created.get("eCommunityId").asText(), "the subscriber's own community id");
      assertEquals("HW-B2-U1-10001", created.get("eHouseId").asText());
      assertTrue(sub.isSubscribed());
    }
  }

  private static Map<String, Event> byId(List<Event> events) {
    Map<String, Event> out = new LinkedHashMap<>();
    events.forEach(e -> out.put(e.eventId(), e));
    return out;
  }

  private static List<String> ofTicket(List<String> ids, Map<String, JsonNode> envelopes, String ticket) {
    return ids.stream()
        .filter(id -> KitStack.read(envelopes.get(id).get("data").asText()).get("serviceOrderId").asText().equals(ticket))
        .toList();
  }
}
