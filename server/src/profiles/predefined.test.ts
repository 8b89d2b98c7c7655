import { describe, expect, test } from "vitest";
import { describeProfiles, readLeadingComment } from "./predefined.js";

describe("readLeadingComment", () => {
  test.each([
    { name: "one comment line", text: "; allow nothing\n(version 1)\n", expected: "allow nothing" },
    { name: "lines joined by spaces", text: "; first line\n; second line\n(version 1)", expected: "first line second line" },
    { name: "double semicolons stripped", text: ";; heading\n;;; deeper\n(version 1)", expected: "heading deeper" },
    { name: "no space after semicolon", text: ";tight\n(version 1)", expected: "tight" },
    { name: "indented comment lines", text: "  ; indented\n\t; tabbed\n(version 1)", expected: "indented tabbed" },
    { name: "CRLF line endings", text: "; windows\r\n; lines\r\n(version 1)\r\n", expected: "windows lines" },
    { name: "no leading comment", text: "(version 1)\n; later comment\n", expected: "" },
    { name: "empty text", text: "", expected: "" },
    { name: "comment after code ignored", text: "; top\n(version 1)\n; not part of it\n", expected: "top" },
    { name: "blank line ends comment", text: "; top\n\n; after blank\n", expected: "top" },
    { name: "semicolons inside text kept", text: "; a; b\n", expected: "a; b" },
  ])("$name", ({ text, expected }) => {
    expect(readLeadingComment(text)).toBe(expected);
  });
});

describe("describeProfiles", () => {
  test("every predefined profile has a description", async () => {
    const profiles = await describeProfiles();

    expect(profiles.map((profile) => profile.name)).toEqual(["default", "network", "read-only", "strict"]);
    for (const profile of profiles) {
      expect(profile.description).toMatch(new RegExp(`^${profile.name}: `));
      expect(profile.description).not.toContain(";");
      expect(profile.description).not.toContain("\n");
    }
  });
});
