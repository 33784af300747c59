/**
 * The JSON sample: a simulated GUI under test, driven the way real users of
 * the original drive theirs, one JSON object per line. `get_screen` answers
 * with the whole widget tree as one line (several megabytes), as a GUI test
 * harness's screen dump does.
 */
import { JsonCommandError, OnelineServer, jsonRouter, type StandardSchemaV1 } from '@socket-oneline/server';

/** A widget of the simulated screen. */
export interface Widget {
  id: string;
  kind: 'window' | 'panel' | 'button' | 'label' | 'input';
  x: number;
  y: number;
  w: number;
  h: number;
  text: string;
  children: Widget[];
}

/** The device's commands: the one map the server and the typed client share. */
export interface Device {
  status: { params: undefined; result: { state: 'idle' | 'busy'; clicks: number; widgets: number } };
  click_left: { params: { x: number; y: number }; result: { value: 'ack'; hit: string | null } };
  type_text: { params: { id: string; text: string }; result: { value: 'ack' } };
  get_screen: { params: { depth?: number } | undefined; result: Widget };
}

/** Builds the widget tree: a window of panels of rows of widgets (about 3 MB of JSON at the default size). */
export function buildScreen(panels = 200, perPanel = 160): Widget {
  const root: Widget = { id: 'main', kind: 'window', x: 0, y: 0, w: 1920, h: 1080, text: 'Simulated instrument', children: [] };
  for (let p = 0; p < panels; p++) {
    const panel: Widget = { id: `panel-${p}`, kind: 'panel', x: (p % 12) * 160, y: Math.floor(p / 12) * 100, w: 160, h: 100, text: `Panel ${p}`, children: [] };
    for (let i = 0; i < perPanel; i++) {
      const kind = (['button', 'label', 'input'] as const)[i % 3]!;
      panel.children.push({ id: `w-${p}-${i}`, kind, x: panel.x + (i % 8) * 20, y: panel.y + Math.floor(i / 8) * 5, w: 20, h: 5, text: `${kind} ${p}.${i}`, children: [] });
    }
    root.children.push(panel);
  }
  return root;
}

function count(w: Widget): number {
  return 1 + w.children.reduce((n, c) => n + count(c), 0);
}

function prune(w: Widget, depth: number): Widget {
  return { ...w, children: depth <= 0 ? [] : w.children.map((c) => prune(c, depth - 1)) };
}

function hitTest(w: Widget, x: number, y: number): Widget | undefined {
  if (x < w.x || y < w.y || x >= w.x + w.w || y >= w.y + w.h) return undefined;
  for (const c of w.children) {
    const hit = hitTest(c, x, y);
    if (hit !== undefined) return hit;
  }
  return w;
}

/** Validates click coordinates (a hand-written Standard Schema validator: no dependency needed). */
const clickSchema: StandardSchemaV1<unknown, Device['click_left']['params']> = {
  '~standard': {
    version: 1,
    vendor: 'sample',
    validate: (v) => {
      const { x, y } = v as { x?: unknown; y?: unknown };
      const ok = (n: unknown) => Number.isInteger(n) && (n as number) >= 0;
      return ok(x) && ok(y)
        ? { value: { x: x as number, y: y as number } }
        : { issues: [{ message: 'x and y must be whole numbers >= 0', path: [ok(x) ? 'y' : 'x'] }] };
    },
  },
};

/** Creates (does not start) the device server. */
export function createDeviceServer(options: { host?: string; port?: number } = {}): OnelineServer {
  const screen = buildScreen();
  let clicks = 0;
  const widgets = count(screen);
  const inputs = new Map<string, string>();
  return new OnelineServer({
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    handler: jsonRouter<Device>(
      {
        status: () => ({ state: 'idle', clicks, widgets }),
        click_left: ({ x, y }) => {
          clicks++;
          return { value: 'ack', hit: hitTest(screen, x, y)?.id ?? null };
        },
        type_text: ({ id, text }) => {
          if (!id.startsWith('w-')) throw new JsonCommandError('E_NO_SUCH_WIDGET', `no input widget '${id}'`);
          inputs.set(id, text);
          return { value: 'ack' };
        },
        get_screen: (params) => (params?.depth === undefined ? screen : prune(screen, params.depth)),
      },
      // The original's plain-text sample answers stay on the same port.
      { schemas: { click_left: clickSchema }, text: (cmd) => (cmd.text === 'cmd01' ? 'ack' : 'nak - unknown cmd') },
    ),
  });
}
