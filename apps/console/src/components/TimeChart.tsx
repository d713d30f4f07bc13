/** A time-series line chart on uPlot (~50 kB): resizes with its card and follows the colour scheme. */
import { useComputedColorScheme } from '@mantine/core';
import { useElementSize } from '@mantine/hooks';
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';

const COLORS = ['#4c6ef5', '#12b886', '#fd7e14', '#e64980', '#15aabf', '#fab005', '#7950f2', '#82c91e'];

export function TimeChart({
  timestamps,
  series,
  height = 200,
}: {
  /** Unix seconds. */
  timestamps: number[];
  series: { label: string; values: (number | null)[] }[];
  height?: number;
}) {
  const { ref: box, width } = useElementSize();
  const target = useRef<HTMLDivElement>(null);
  const scheme = useComputedColorScheme('light');
  useEffect(() => {
    if (!target.current || width < 50) return;
    const axis = scheme === 'dark' ? '#909296' : '#495057';
    const grid = scheme === 'dark' ? '#2c2e33' : '#e9ecef';
    const plot = new uPlot(
      {
        width,
        height,
        legend: { show: series.length > 1 },
        cursor: { points: { size: 6 } },
        series: [
          {},
          ...series.map((s, i) => ({
            label: s.label,
            stroke: COLORS[i % COLORS.length],
            width: 2,
            points: { show: false },
          })),
        ],
        axes: [
          { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
          { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, size: 56 },
        ],
      },
      [timestamps, ...series.map((s) => s.values)] as uPlot.AlignedData,
      target.current,
    );
    return () => plot.destroy();
  }, [width, height, scheme, timestamps, series]);
  return (
    <div ref={box} className="chart">
      <div ref={target} />
    </div>
  );
}
