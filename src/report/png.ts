/**
 * PNG copies of the charts (for slides), rendered from the same SVG text with resvg (a prebuilt
 * native renderer from npm: no browser, nothing fetched). Text uses the system's fonts.
 */
import { Resvg } from '@resvg/resvg-js';

export function svgToPng(svg: string, scale = 2): Buffer {
  const renderer = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: '#ffffff',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  });
  return renderer.render().asPng();
}
