import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { describe, expect, test } from "vitest";
import { SafetySettingsSchema } from "../gen/seatbelt/v1/session_pb.js";
import {
  DEFAULT_SAFE_OPERATORS,
  DEFAULT_SAFE_SHELL_COMMANDS,
  MAX_SAFETY_LIST_ENTRIES,
  NO_SAFETY,
  type SafetyOptions,
  validateSafetySettings,
} from "./options.js";
import { catchConnectError } from "../../../test/support/connect-errors.js";

type SettingsInit = Parameters<typeof create<typeof SafetySettingsSchema>>[1];

function validate(init: SettingsInit): SafetyOptions {
  return validateSafetySettings(create(SafetySettingsSchema, init));
}


describe("validateSafetySettings", () => {
  test("unset safety checks nothing", () => {
    expect(validateSafetySettings(undefined)).toBe(NO_SAFETY);
  });

  test("empty safety checks nothing", () => {
    expect(validate({})).toEqual(NO_SAFETY);
  });

  test.each<{ name: string; init: SettingsInit; imports: readonly string[] | null }>([
    { name: "default", init: {}, imports: null },
    { name: "set", init: { authorizedImports: { values: ["numpy.*", "json", "json"] } }, imports: ["numpy.*", "json"] },
    { name: "empty list", init: { authorizedImports: { values: [] } }, imports: [] },
    { name: "star", init: { authorizedImports: { values: ["*"] } }, imports: ["*"] },
  ])("authorized_imports $name", ({ init, imports }) => {
    expect(validate(init).python?.authorizedImports ?? null).toEqual(imports);
  });

  test.each<{ name: string; init: SettingsInit; functions: readonly string[] | null }>([
    { name: "default", init: { checkStringObfuscation: true }, functions: null },
    { name: "set", init: { authorizedFunctions: { values: ["open", "eval"] } }, functions: ["open", "eval"] },
    { name: "empty list", init: { authorizedFunctions: { values: [] } }, functions: [] },
    { name: "star", init: { authorizedFunctions: { values: ["*"] } }, functions: ["*"] },
  ])("authorized_functions $name", ({ init, functions }) => {
    expect(validate(init).python?.authorizedFunctions).toEqual(functions);
  });

  test.each<{ name: string; init: SettingsInit; enabled: boolean }>([
    { name: "default", init: { authorizedImports: { values: [] } }, enabled: false },
    { name: "set", init: { checkStringObfuscation: true }, enabled: true },
  ])("check_string_obfuscation $name", ({ init, enabled }) => {
    expect(validate(init).python?.checkStringObfuscation).toBe(enabled);
  });

  test.each<{ name: string; init: SettingsInit; checked: boolean }>([
    { name: "default", init: { checkStringObfuscation: true }, checked: false },
    { name: "true", init: { bypassShellSafety: true }, checked: false },
    { name: "false", init: { bypassShellSafety: false }, checked: true },
  ])("bypass_shell_safety $name", ({ init, checked }) => {
    expect(validate(init).shell !== undefined).toBe(checked);
  });

  test.each<{ name: string; init: SettingsInit; expected: string[] | "all" }>([
    { name: "default", init: {}, expected: [...DEFAULT_SAFE_SHELL_COMMANDS] },
    { name: "set", init: { additionalSafeShellCommands: ["git"] }, expected: [...DEFAULT_SAFE_SHELL_COMMANDS, "git"] },
    { name: "star", init: { additionalSafeShellCommands: ["*"] }, expected: "all" },
    { name: "replaced", init: { safeShellCommands: { values: ["ls"] }, additionalSafeShellCommands: ["git"] }, expected: ["ls", "git"] },
  ])("additional_safe_shell_commands $name", ({ init, expected }) => {
    const commands = validate({ bypassShellSafety: false, ...init }).shell?.commands;

    expect(commands === "all" ? "all" : [...commands!]).toEqual(expected);
  });

  test.each<{ name: string; init: SettingsInit; expected: string[] | "all" }>([
    { name: "default", init: {}, expected: [...DEFAULT_SAFE_OPERATORS] },
    { name: "set", init: { additionalSafeControlOperators: ["&", "newline"] }, expected: [...DEFAULT_SAFE_OPERATORS, "&", "newline"] },
    { name: "star", init: { additionalSafeControlOperators: ["*"] }, expected: "all" },
    { name: "replaced", init: { safeControlOperators: { values: [] } }, expected: [] },
  ])("additional_safe_control_operators $name", ({ init, expected }) => {
    const operators = validate({ bypassShellSafety: false, ...init }).shell?.operators;

    expect(operators === "all" ? "all" : [...operators!]).toEqual(expected);
  });

  test.each<{ name: string; init: SettingsInit; fragment: string }>([
    { name: "module with space", init: { authorizedImports: { values: ["os path"] } }, fragment: 'safety.authorized_imports entry "os path" is invalid' },
    { name: "star in the middle", init: { authorizedImports: { values: ["a.*.b"] } }, fragment: "safety.authorized_imports entry" },
    { name: "unknown function", init: { authorizedFunctions: { values: ["print"] } }, fragment: 'safety.authorized_functions entry "print" is invalid: expected one of exec' },
    { name: "command with slash", init: { bypassShellSafety: false, additionalSafeShellCommands: ["/bin/rm"] }, fragment: "a command name without slashes" },
    { name: "unknown operator", init: { bypassShellSafety: false, additionalSafeControlOperators: ["$("] }, fragment: "safety.additional_safe_control_operators entry" },
    { name: "command with slash while unchecked", init: { safeShellCommands: { values: ["/bin/rm"] } }, fragment: 'safety.safe_shell_commands entry "/bin/rm" is invalid' },
    {
      name: "commands with bypass unset",
      init: { additionalSafeShellCommands: ["git"] },
      fragment: "safety.additional_safe_shell_commands set while bypass_shell_safety is unset, so the shell is not checked; set bypass_shell_safety to false",
    },
    {
      name: "operators with bypass true",
      init: { bypassShellSafety: true, safeControlOperators: { values: ["&&"] }, additionalSafeControlOperators: ["&"] },
      fragment: "safety.safe_control_operators and safety.additional_safe_control_operators set while bypass_shell_safety is true",
    },
    {
      name: "too many entries",
      init: { authorizedImports: { values: Array.from({ length: MAX_SAFETY_LIST_ENTRIES + 1 }, (_, index) => `m${index}`) } },
      fragment: `has ${MAX_SAFETY_LIST_ENTRIES + 1} entries; the maximum is ${MAX_SAFETY_LIST_ENTRIES}`,
    },
  ])("$name rejected", ({ init, fragment }) => {
    const error = catchConnectError(() => validate(init));

    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain(fragment);
  });
});
