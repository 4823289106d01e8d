export function render(container, shapes) {
  container.replaceChildren(
    ...shapes.map((shape) => {
      const element = document.createElement('div');
      element.className = 'shape';
      element.textContent = shape.name;
      element.style.background = shape.colour;
      element.style.borderRadius = shape.radius;
      return element;
    }),
  );
}
