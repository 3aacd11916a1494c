/** A spinner for waits: the manager writing the story, a turn waiting for its model. */
import { Text } from "ink";
import { useEffect, useState } from "react";
import { tone, useTheme } from "./theme.js";

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export function Spinner({ everyMs = 100 }: { everyMs?: number }) {
  const theme = useTheme();
  const [i, setI] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setI((n) => (n + 1) % FRAMES.length), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return <Text color={tone(theme, "yellow")}>{FRAMES[i]}</Text>;
}
