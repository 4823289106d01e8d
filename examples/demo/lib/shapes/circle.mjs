export const circle = { name: 'circle', radius: '50%' };
