// What a command writes to: injected, so a test can call a command and read what it printed.
export interface Output {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}
