// Change a colour and save: modrelay pushes the update and the page reloads.
export const palette = { square: '#2563eb', circle: '#db2777' };
