export const square = { name: 'square', radius: '0' };
