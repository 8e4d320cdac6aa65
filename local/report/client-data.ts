/**
 * What the report page's script reads: the JSON html.ts writes into `<script id="vigil-data">`, and
 * client/main.ts parses. Types only, shared by both sides so a renamed field fails the type-check.
 * Short keys: a 24-hour run carries one value per pixel column for every series.
 */
import type { Unit } from './svg';

export interface ClientSeries {
  /** Series key (`data-k` in the page), label, colour, 1 when drawn faded. */
  readonly k: string;
  readonly n: string;
  readonly c: string;
  readonly f: 0 | 1;
  /** One value per grid slot (`t0 + i * step`), null where there is none. */
  readonly v: (number | null)[];
}

export interface ClientLineChart {
  readonly unit: Unit;
  readonly series: ClientSeries[];
}

/** One lane per row: its label and its segments as [from, to, text]. */
export interface ClientLaneChart {
  readonly lanes: { readonly n: string; readonly s: [number, number, string][] }[];
}

export interface ClientAlert {
  /** Time, severity, phase (`firing`/`resolved`), rule, and the subject and summary as one line. */
  readonly t: number;
  readonly s: string;
  readonly p: string;
  readonly r: string;
  readonly m: string;
}

export interface ClientData {
  /** The time axis shared by every chart (epoch ms), and the onset every time is counted from. */
  readonly from: number;
  readonly to: number;
  readonly onset: number;
  /** The grid of series values: first slot and step (ms). */
  readonly t0: number;
  readonly step: number;
  readonly alerts: ClientAlert[];
  /** By chart id (`data-chart` of its svg). */
  readonly charts: Record<string, ClientLineChart | ClientLaneChart>;
}
