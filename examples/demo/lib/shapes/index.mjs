import { square } from './square.mjs';
import { circle } from './circle.mjs';
import { palette } from '../palette.mjs';

export const shapes = [
  { ...square, colour: palette.square },
  { ...circle, colour: palette.circle },
];
