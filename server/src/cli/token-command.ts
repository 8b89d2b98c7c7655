import { createToken, hashToken } from "../auth/token.js";

/** Usage of `seatbelt-server token`. */
export const TOKEN_USAGE = `Usage: seatbelt-server token create [NAME]
       seatbelt-server token hash < TOKEN_FILE

create  prints a new random token, and the tenants file entry for NAME
        (default "tenant") with the token's SHA-256; give the token to the
        client and put only the entry in the tenants file
hash    prints the SHA-256 of a token read from stdin, for a token made elsewhere
`;

/** Result of a token command: text for stdout, or a usage error for stderr. */
export type TokenCommandResult = { readonly exitCode: 0; readonly stdout: string } | { readonly exitCode: 2; readonly stderr: string };

const HELP_FLAGS: ReadonlySet<string | undefined> = new Set(["-h", "--help", "help"]);

/**
 * Runs `seatbelt-server token ...`. Pure but for the random token, so tests
 * can check the output; `readStdin` supplies the token of `hash`.
 */
export async function runTokenCommand(args: readonly string[], readStdin: () => Promise<string>): Promise<TokenCommandResult> {
  const [command, ...rest] = args;
  if (HELP_FLAGS.has(command)) {
    return { exitCode: 0, stdout: TOKEN_USAGE };
  }
  if (command === "create" && rest.length <= 1) {
    const name = rest[0] ?? "tenant";
    const { token, tokenSha256 } = createToken();
    const entry = JSON.stringify({ name, token_sha256: tokenSha256 });
    return { exitCode: 0, stdout: `token: ${token}\ntenants file entry: ${entry}\n` };
  }
  if (command === "hash" && rest.length === 0) {
    const token = (await readStdin()).trim();
    if (token === "") {
      return { exitCode: 2, stderr: "token hash: stdin is empty; pipe the token in, such as: seatbelt-server token hash < token.txt\n" };
    }
    return { exitCode: 0, stdout: `${hashToken(token)}\n` };
  }
  return { exitCode: 2, stderr: TOKEN_USAGE };
}
