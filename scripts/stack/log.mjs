export const say = (line) => process.stderr.write(`[stack] ${line}\n`);
