import { describe, expect, test } from "vitest";
import { parseSbpl } from "../../sbpl/parse.js";
import { noteUnmountableDenies } from "./deny-notes.js";
import type { HostEntry } from "./host-layout.js";

const WORKSPACE = "/state/workspaces/s1";

const HOST: ReadonlyMap<string, HostEntry> = new Map<string, HostEntry>([
  ["/", { kind: "directory" }],
  ["/opt", { kind: "directory" }],
  ["/opt/present.txt", { kind: "file" }],
  ["/opt/listed", { kind: "directory" }],
  [WORKSPACE, { kind: "directory" }],
  [`${WORKSPACE}/secret`, { kind: "directory" }],
]);

const BASE = ["(version 1)", "(deny default)", '(allow file-read* (subpath "/opt") (subpath "/tmp"))', '(allow file-read* file-write* (subpath (param "WORKSPACE")))'];

function notesFor(...rules: string[]) {
  const profile = parseSbpl([...BASE, ...rules].join("\n"), { WORKSPACE });
  return noteUnmountableDenies({ profile, hostEntries: HOST });
}

describe("noteUnmountableDenies", () => {
  test("deny of paths missing at start noted with its line", () => {
    const notes = notesFor('(deny file-read* (literal "/opt/x/late.txt") (subpath "/opt/x/latedir"))');

    expect(notes.map((note) => note.line)).toEqual([5, 5]);
    expect(notes[0]?.message).toContain("/opt/x/late.txt does not exist when the sandbox starts, so this deny is not enforced there");
    expect(notes[1]?.message).toContain("/opt/x/latedir does not exist when the sandbox starts");
    expect(notes[0]?.rule).toContain("late.txt");
  });

  test("deny of existing paths not noted", () => {
    expect(notesFor('(deny file-read* (literal "/opt/present.txt") (subpath (string-append (param "WORKSPACE") "/secret")))')).toEqual([]);
  });

  test("missing path in the workspace noted as writable", () => {
    const notes = notesFor('(deny file-write* (subpath (string-append (param "WORKSPACE") "/ro")))');

    expect(notes).toHaveLength(1);
    expect(notes[0]?.message).toContain(`${WORKSPACE}/ro does not exist when the sandbox starts`);
    expect(notes[0]?.message).toContain("stays readable and writable until the session is restarted");
  });

  test("missing path under a hidden parent not noted", () => {
    expect(notesFor('(deny file-read* (subpath "/home/user/late"))')).toEqual([]);
  });

  test("missing path in the private tmp not noted", () => {
    expect(notesFor('(deny file-read* (subpath "/tmp/late"))')).toEqual([]);
  });

  test("literal deny of a listable directory noted", () => {
    const notes = notesFor('(deny file-read* (literal "/opt/listed"))');

    expect(notes).toHaveLength(1);
    expect(notes[0]?.message).toContain("/opt/listed is a directory: Linux cannot deny listing it");
  });

  test("deny of other operations not noted", () => {
    expect(notesFor('(deny network-outbound (literal "/opt/x/socket"))')).toEqual([]);
  });
});
