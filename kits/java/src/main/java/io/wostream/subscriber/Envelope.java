package io.wostream.subscriber;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The four fields of a pushed envelope, read with Jackson's streaming parser (no object mapping: the kit keeps
 * {@code data} as the exact JSON string wostream sent, and leaves its interpretation to the integrator).
 */
record Envelope(String baseCode, String dataArea, String changeId, String data) {
  private static final JsonFactory JSON = new JsonFactory();

  /** Reads an envelope; a field that is missing or not a string reads as empty. */
  static Envelope parse(String message) {
    String baseCode = "";
    String dataArea = "";
    String changeId = "";
    String data = "";
    try (JsonParser p = JSON.createParser(message)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IllegalArgumentException("the message is not a JSON object");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        String text = value == JsonToken.VALUE_STRING ? p.getText() : "";
        if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
          p.skipChildren();
        }
        switch (name) {
          case "baseCode" -> baseCode = text;
          case "dataArea" -> dataArea = text;
          case "changeId" -> changeId = text;
          case "data" -> data = text;
          default -> { }
        }
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("the message is not valid JSON: " + e.getMessage(), e);
    }
    return new Envelope(baseCode, dataArea, changeId, data);
  }

  /**
   * The first top-level field {@code name} of a JSON object (a body), as text: a string's value or a number as
   * written; empty when absent, of another type, or when {@code json} is not an object.
   */
  static String field(String json, String name) {
    try (JsonParser p = JSON.createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return "";
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String key = p.currentName();
        JsonToken value = p.nextToken();
        if (key.equals(name)) {
          return value.isScalarValue() && value != JsonToken.VALUE_NULL ? p.getText() : "";
        }
        p.skipChildren();
      }
    } catch (IOException e) {
      return "";
    }
    return "";
  }

  /** The ids of a batch: the context entry {@code eventIds}, a JSON array of strings. */
  static List<String> parseIds(String json) {
    List<String> ids = new ArrayList<>();
    if (json == null || json.isEmpty()) {
      return ids;
    }
    try (JsonParser p = JSON.createParser(json)) {
      if (p.nextToken() != JsonToken.START_ARRAY) {
        throw new IllegalArgumentException("eventIds is not a JSON array");
      }
      for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY && t != null; t = p.nextToken()) {
        ids.add(t == JsonToken.VALUE_NULL ? "" : p.getValueAsString(""));
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("eventIds is not valid JSON: " + e.getMessage(), e);
    }
    return ids;
  }
}
